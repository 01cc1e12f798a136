/* A form of the site (volunteer, contact), improved when JavaScript runs. Without it the form posts
 * as usual and the server answers with the thank-you page or the form with
 * its errors. With it: one submission per click (an idempotency key and a
 * busy button), errors shown in place, focus moved to the summary, and the
 * page's title begins with "Error:" while errors show, as the server's page
 * with errors does, so a tab or a re-read title says the send failed. Once
 * stored, the browser posts the same key to the form's /thanks address and
 * shows the thank-you page the server answers, with the reference and what
 * became of the email: nothing goes into the address bar or the browser's
 * storage. */
(function () {
  "use strict";
  var form = document.querySelector("[data-form]");
  if (!form || !window.fetch || !window.URLSearchParams) return;

  var words = form.dataset; // in the page's language (forms_service/render.py)
  var summary = form.querySelector("#vf-summary");
  var summaryList = summary.querySelector(".vf-summary-list");
  var status = form.querySelector("#vf-status");
  var button = form.querySelector(".vf-submit");
  var keyInput = form.querySelector("input[name=idempotency_key]");
  var buttonLabel = button.textContent;
  var sending = false;
  var ERROR_PREFIX = words.error + " ";
  // the title without the prefix, also when the server's page with errors set it
  var plainTitle = document.title.indexOf(ERROR_PREFIX) === 0
    ? document.title.slice(ERROR_PREFIX.length) : document.title;

  function markTitle(failed) {
    document.title = (failed ? ERROR_PREFIX : "") + plainTitle;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  keyInput.value = newKey();

  /* The thank-you page, asked for by a post that carries only the key. */
  function showThanks() {
    var url = new URL(form.action, window.location.href);
    url.pathname += "/thanks";
    var ask = document.createElement("form");
    ask.method = "post";
    ask.action = url.href;
    ask.hidden = true;
    var key = document.createElement("input");
    key.type = "hidden";
    key.name = keyInput.name;
    key.value = keyInput.value;
    ask.appendChild(key);
    document.body.appendChild(ask);
    ask.submit();
  }

  function firstInput(name) {
    return form.querySelector("[name='" + name + "']");
  }

  function setBusy(busy) {
    sending = busy;
    button.setAttribute("aria-disabled", busy ? "true" : "false");
    button.textContent = busy ? words.sending : buttonLabel;
  }

  function clearErrors() {
    summaryList.textContent = "";
    summary.hidden = true;
    markTitle(false);
    form.querySelectorAll(".vf-field--error").forEach(function (el) {
      el.classList.remove("vf-field--error");
    });
    form.querySelectorAll(".vf-error").forEach(function (el) {
      el.hidden = true;
      el.querySelector(".vf-error-text").textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
  }

  function describe(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids = ids.filter(function (x) { return x !== id; });
    if (on) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function addSummaryItem(text, targetId) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = "#" + targetId;
    link.textContent = text;
    li.appendChild(link);
    summaryList.appendChild(li);
  }

  function showErrors(errors) {
    clearErrors();
    Object.keys(errors).forEach(function (name) {
      var wrapper = form.querySelector("[data-field='" + name + "']");
      var input = firstInput(name);
      if (!wrapper || !input) {
        addSummaryItem(errors[name], form.id);
        return;
      }
      wrapper.classList.add("vf-field--error");
      var message = wrapper.querySelector(".vf-error");
      message.querySelector(".vf-error-text").textContent = errors[name];
      message.hidden = false;
      var group = wrapper.querySelector("fieldset");
      if (group) {
        describe(group, message.id, true);
      } else {
        input.setAttribute("aria-invalid", "true");
        describe(input, message.id, true);
      }
      addSummaryItem(errors[name], input.id);
    });
    showSummary();
  }

  function showProblem(text) {
    clearErrors();
    var p = document.createElement("li");
    p.textContent = text;
    summaryList.appendChild(p);
    showSummary();
  }

  function showSummary() {
    summary.hidden = false;
    markTitle(true);
    summary.focus();
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    var label = form.querySelector("label[for='" + target.id + "']");
    var legend = target.closest("fieldset") && target.closest("fieldset").querySelector("legend");
    (legend || label || target).scrollIntoView({ block: "center" });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;
    setBusy(true);
    status.textContent = "";
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { status: response.status, data: data }; },
          function () { return { status: response.status, data: {} }; }
        );
      })
      .then(function (result) {
        if (result.status === 201) {
          clearErrors();
          status.textContent = words.received;
          showThanks();
          return;
        }
        setBusy(false);
        if (result.status === 422 && result.data.errors) {
          showErrors(result.data.errors);
        } else {
          showProblem(result.data.error || words.failed);
        }
      })
      .catch(function () {
        setBusy(false);
        showProblem(words.offline);
      });
  });
})();
