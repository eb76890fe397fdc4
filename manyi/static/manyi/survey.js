/* Manyi survey pages: conditional questions appear and disappear as the respondent answers,
   the questions are renumbered, the points questions show their running total. Progressive
   enhancement only: without this script the server shows a conditional question after the
   answers that reveal it were sent (manyi/surveys/public_views.py). Mirrors
   Definition.visible and Condition.holds in manyi/surveys/definition.py. */
(function () {
  "use strict";

  function answerOf(q) {
    var type = q.getAttribute("data-type");
    var inputs = q.querySelectorAll("input, textarea");
    if (type === "multi") {
      var values = [];
      inputs.forEach(function (i) { if (i.checked) values.push(i.value); });
      return values;
    }
    for (var n = 0; n < inputs.length; n++) {
      var i = inputs[n];
      if (i.type === "radio") { if (i.checked) return i.value; }
      else if (i.tagName === "TEXTAREA" || i.type === "text") return i.value.trim();
    }
    return null;
  }

  function holds(cond, answer) {
    if (answer === null || answer === "" || (Array.isArray(answer) && !answer.length)) return false;
    var op = cond.op;
    if (op === "lte" || op === "gte") {
      if (Array.isArray(answer)) return false;
      var a = Number(answer), v = Number(cond.value);
      if (answer === "" || isNaN(a) || isNaN(v)) return false;
      return op === "lte" ? a <= v : a >= v;
    }
    if (op === "eq") return String(answer) === String(cond.value);
    if (op === "in") {
      var set = (cond.value || []).map(String);
      if (Array.isArray(answer)) return answer.some(function (x) { return set.indexOf(String(x)) >= 0; });
      return set.indexOf(String(answer)) >= 0;
    }
    return false;
  }

  function update(form) {
    var questions = form.querySelectorAll(".sv-q[data-key]");
    var shown = {};
    var keys = [];
    var number = 0;
    questions.forEach(function (q) {
      var raw = q.getAttribute("data-show-if");
      var visible = true;
      if (raw) {
        var cond = JSON.parse(raw);
        var source = form.querySelector('.sv-q[data-key="' + cond.key + '"]');
        visible = Boolean(shown[cond.key]) && source !== null && holds(cond, answerOf(source));
      }
      q.hidden = !visible;
      q.disabled = !visible;
      var key = q.getAttribute("data-key");
      if (visible) {
        shown[key] = true;
        keys.push(key);
        number += 1;
      }
      var num = q.querySelector("[data-num]");
      if (num) num.textContent = visible ? number + "." : "";
    });
    var field = form.querySelector("[data-shown]");
    if (field) field.value = keys.join(",");
  }

  function updatePoints(box) {
    var total = Number(box.getAttribute("data-total"));
    var sum = 0;
    var any = false;
    box.querySelectorAll("input[type=number]").forEach(function (i) {
      if (i.value !== "") { any = true; sum += Number(i.value) || 0; }
    });
    var now = box.querySelector("[data-points-now]");
    var out = box.querySelector("[data-points-sum]");
    if (!now || !out) return;
    now.hidden = !any;
    out.textContent = String(sum);
    now.classList.toggle("is-off", any && sum !== total);
  }

  function init(form) {
    update(form);
    form.querySelectorAll(".sv-points").forEach(updatePoints);
    function changed(event) {
      update(form);
      var box = event.target.closest && event.target.closest(".sv-points");
      if (box) updatePoints(box);
    }
    form.addEventListener("change", changed);
    form.addEventListener("input", changed);
    var fresh = form.querySelector(".sv-q.sv-new");
    if (fresh && fresh.scrollIntoView) fresh.scrollIntoView({ block: "center" });
  }

  function start() {
    document.querySelectorAll("form[data-survey]").forEach(init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
