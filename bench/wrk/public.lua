-- wrk script of bench/bench_public.py: first-time customers filing complaints through the
-- public complaint page of a store (the HTML form) or the public JSON endpoint, configured by
-- environment variables.
--
--   WRK_KIND      "page" (the HTML form: csrf token field, the empty file input a browser
--                 sends), "api" (the public endpoint: form fields only) or "get" (a plain GET)
--   WRK_PATH      the path
--   WRK_ENCODING  "multipart" (default: what a browser sends for this form, whose enctype is
--                 multipart/form-data, and what the endpoint takes) or "urlencoded"
--   WRK_CSRF      the form's csrfmiddlewaretoken (page)
--   WRK_COOKIE    value of the Cookie header (csrftoken=… for the page; a session for "get")
--   WRK_ORIGIN    value of the Origin header a browser sends with a POST (checked by Django)
--   WRK_CATS      comma-separated category ids; each complaint picks one at random
--   WRK_EXPECT    the status of a success (302 for the page, 201 for the endpoint, 200 GET)
--
-- Every complaint has its own mobile number (139 + 8 random digits), so each one creates a
-- customer as a first-time complainer does, a name, a description of 30-60 characters, a plate
-- or order number on some, and the honeypot field `website` empty.
--
-- At the end it prints "WRK_JSON {...}": wrk's counts and latency percentiles (ms) plus, summed
-- over the threads, the requests sent, the answers with the expected status ("ok") and the
-- others, and the count of each status; and "WRK_SAMPLE <status> <body>" with the start of the
-- first unexpected answer, if there was one.

local kind = os.getenv("WRK_KIND") or "page"
local path = os.getenv("WRK_PATH") or "/"
local encoding = os.getenv("WRK_ENCODING") or "multipart"
local csrf = os.getenv("WRK_CSRF") or ""
local expect = tonumber(os.getenv("WRK_EXPECT") or "200")
local cats = {}
for v in string.gmatch(os.getenv("WRK_CATS") or "", "%d+") do cats[#cats + 1] = v end

local headers = {}
if kind == "api" then headers["Accept"] = "application/json" else
  headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
end
if os.getenv("WRK_COOKIE") then headers["Cookie"] = os.getenv("WRK_COOKIE") end
if os.getenv("WRK_ORIGIN") and kind ~= "get" then headers["Origin"] = os.getenv("WRK_ORIGIN") end

local names = { "张先生", "李女士", "王先生", "刘女士", "陈先生", "杨女士", "赵先生", "黄女士" }
local texts = {
  "上周六来店保养，约好两小时完成，结果等了四个多小时也没有人解释原因。",
  "新车交车延误了两天，销售顾问一直不回电话，希望店里给个明确的交车时间。",
  "维修后仪表盘故障灯又亮了，已经是第二次返修，希望能彻底解决问题。",
  "结账时发现多收了工时费，和报价单上的金额不一致，请核实并退还差价。",
  "洗车后发现右后门有一道新划痕，交车时工作人员没有提醒，请给个说法。",
}
local provinces = { "沪", "苏", "浙", "京", "粤" }

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_no", #threads)
end

-- Per thread (globals, so that done() can read them with thread:get).
sent, ok, other = 0, 0, 0
codes = {}
sample = nil

local boundary

function init(args)
  math.randomseed(os.time() * 100 + (thread_no or 0))
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
  local b = {}
  for i = 1, 16 do
    local k = math.random(1, #chars)
    b[i] = chars:sub(k, k)
  end
  boundary = "----WebKitFormBoundary" .. table.concat(b)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function complaint()
  local n = sent
  local fields = {}
  if kind == "page" then fields[#fields + 1] = { "csrfmiddlewaretoken", csrf } end
  fields[#fields + 1] = { "name", names[math.random(1, #names)] }
  fields[#fields + 1] = { "phone", string.format("139%08d", math.random(0, 99999999)) }
  fields[#fields + 1] = { "category", cats[math.random(1, #cats)] }
  fields[#fields + 1] = {
    "description", texts[math.random(1, #texts)] .. "（第" .. n .. "次提交）" }
  local plate, order = "", ""
  local r = math.random(1, 4)
  if r == 1 then
    plate = provinces[math.random(1, #provinces)] .. "A" .. string.format("%05d", math.random(0, 99999))
  elseif r == 2 then
    order = string.format("WO%08d", math.random(0, 99999999))
  end
  fields[#fields + 1] = { "plate", plate }
  fields[#fields + 1] = { "order_number", order }
  if encoding == "urlencoded" then
    local parts = {}
    for _, f in ipairs(fields) do parts[#parts + 1] = f[1] .. "=" .. urlencode(f[2]) end
    parts[#parts + 1] = "website="
    return "application/x-www-form-urlencoded", table.concat(parts, "&")
  end
  local parts = {}
  for _, f in ipairs(fields) do
    parts[#parts + 1] = "--" .. boundary .. "\r\n" ..
      'Content-Disposition: form-data; name="' .. f[1] .. '"\r\n\r\n' .. f[2] .. "\r\n"
  end
  if kind == "page" then
    -- A browser sends the file input even when no file was chosen.
    parts[#parts + 1] = "--" .. boundary .. "\r\n" ..
      'Content-Disposition: form-data; name="photos"; filename=""\r\n' ..
      "Content-Type: application/octet-stream\r\n\r\n\r\n"
  end
  parts[#parts + 1] = "--" .. boundary .. "\r\n" ..
    'Content-Disposition: form-data; name="website"\r\n\r\n\r\n'
  parts[#parts + 1] = "--" .. boundary .. "--\r\n"
  return "multipart/form-data; boundary=" .. boundary, table.concat(parts)
end

function request()
  sent = sent + 1
  if kind == "get" then return wrk.format("GET", path, headers) end
  local ctype, body = complaint()
  headers["Content-Type"] = ctype
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  if status == expect then ok = ok + 1 else
    other = other + 1
    if sample == nil then sample = status .. " " .. (body or ""):sub(1, 400):gsub("%s+", " ") end
  end
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local t_sent, t_ok, t_other, t_codes, t_sample = 0, 0, 0, {}, nil
  for _, t in ipairs(threads) do
    t_sent = t_sent + t:get("sent")
    t_ok = t_ok + t:get("ok")
    t_other = t_other + t:get("other")
    for code, count in pairs(t:get("codes") or {}) do
      t_codes[code] = (t_codes[code] or 0) + count
    end
    t_sample = t_sample or t:get("sample")
  end
  local code_list = {}
  for code, count in pairs(t_codes) do
    code_list[#code_list + 1] = string.format('"%d": %d', code, count)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_timeout": %d, "p50": %.3f, "p90": %.3f, "p95": %.3f, "p99": %.3f, ' ..
    '"max": %.3f, "mean": %.3f, "sent": %d, "ok": %d, "other": %d, "codes": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    t_sent, t_ok, t_other, table.concat(code_list, ", ")))
  if t_sample then io.write("WRK_SAMPLE " .. t_sample .. "\n") end
end
