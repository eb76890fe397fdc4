-- wrk script of bench/bench_api.py: one kind of request, configured by environment variables.
--
--   WRK_METHOD   GET (default) or POST
--   WRK_PATH     the path; "{id}" is replaced by a random integer in [WRK_ID_LO, WRK_ID_HI]
--                and "{cust}" by one in [WRK_CUST_LO, WRK_CUST_HI] (in the body too)
--   WRK_AUTH     value of the Authorization header (e.g. "Bearer mny_...")
--   WRK_COOKIE   value of the Cookie header (a staff session)
--   WRK_BODY     a JSON body for POST
--   WRK_IDS      optional comma-separated ids: "{id}" is then one of them, at random
--
-- At the end it prints one line "WRK_JSON {...}" with the counts and latency percentiles (ms)
-- that bench_api.py parses. Every Lua state (one per wrk thread) seeds its own generator.

local method = os.getenv("WRK_METHOD") or "GET"
local path_tpl = os.getenv("WRK_PATH") or "/"
local body_tpl = os.getenv("WRK_BODY")
local id_lo = tonumber(os.getenv("WRK_ID_LO") or "1")
local id_hi = tonumber(os.getenv("WRK_ID_HI") or "1")
local cust_lo = tonumber(os.getenv("WRK_CUST_LO") or "1")
local cust_hi = tonumber(os.getenv("WRK_CUST_HI") or "1")
local ids = {}
for v in string.gmatch(os.getenv("WRK_IDS") or "", "%d+") do ids[#ids + 1] = v end

local headers = { ["Accept"] = "application/json" }
if os.getenv("WRK_AUTH") then headers["Authorization"] = os.getenv("WRK_AUTH") end
if os.getenv("WRK_COOKIE") then headers["Cookie"] = os.getenv("WRK_COOKIE") end
if body_tpl then headers["Content-Type"] = "application/json" end

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end

function init(args)
  math.randomseed(os.time() * 100 + (thread_no or 0))
end

local function fill(s)
  if s == nil then return nil end
  s = s:gsub("{id}", function()
    if #ids > 0 then return ids[math.random(1, #ids)] end
    return tostring(math.random(id_lo, id_hi))
  end)
  s = s:gsub("{cust}", function() return tostring(math.random(cust_lo, cust_hi)) end)
  return s
end

function request()
  return wrk.format(method, fill(path_tpl), headers, fill(body_tpl))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_timeout": %d, "p50": %.3f, "p90": %.3f, "p95": %.3f, "p99": %.3f, ' ..
    '"max": %.3f, "mean": %.3f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
