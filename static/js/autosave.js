// Autosave in the admin's post and page editors (blog/admin_studio.py, AutosaveAdminMixin).
// The title, summary (posts only) and body are sent to the server a few seconds after the author stops
// typing, and at once when the tab is hidden or closed (sendBeacon), so a crash loses
// nothing. Reopening the editor offers the newer autosave back. Leaving with changes that
// are not saved to the post or page asks first. The post or page itself, and so what
// readers see, changes only when the author saves.
(function () {
  "use strict";

  var FIELDS = ["title", "summary", "body"];
  var QUIET_MS = 2000;

  function setUp() {
    var box = document.querySelector("[data-autosave-url]");
    var form = box && box.closest("form");
    if (!form) {
      return;
    }
    var status = box.querySelector(".autosave-status");
    var token = form.querySelector("input[name='csrfmiddlewaretoken']");
    var timer = null;
    var submitting = false;

    function field(name) {
      return form.querySelector("[name='" + name + "']");
    }

    function current() {
      var values = {};
      FIELDS.forEach(function (name) {
        var input = field(name);
        values[name] = input ? input.value : "";
      });
      return values;
    }

    function same(a, b) {
      return FIELDS.every(function (name) {
        return a[name] === b[name];
      });
    }

    var loaded = current();
    var lastSent = loaded;

    function payload(values) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token ? token.value : "");
      data.append("post", box.getAttribute("data-autosave-post"));
      FIELDS.forEach(function (name) {
        data.append(name, values[name]);
      });
      return data;
    }

    function clock() {
      return new Date().toLocaleTimeString();
    }

    function save() {
      clearTimeout(timer);
      var values = current();
      if (submitting || same(values, lastSent)) {
        return;
      }
      fetch(box.getAttribute("data-autosave-url"), {
        method: "POST",
        body: payload(values),
        credentials: "same-origin",
        keepalive: true,
        headers: {"X-Requested-With": "XMLHttpRequest"},
      }).then(function (response) {
        return response.json().catch(function () {
          return {};
        }).then(function (answer) {
          if (response.ok) {
            lastSent = values;
            status.textContent = "Your unsaved work was kept at " + clock() + ".";
            status.setAttribute("data-autosaved", "");
          } else {
            status.textContent = "Your work could not be kept: " +
              (answer.error || "error " + response.status) + ". Save the post to keep it.";
          }
        });
      }, function () {
        status.textContent = "Your work could not be kept: the site did not answer. " +
          "It will be tried again as you type.";
      });
    }

    // The page is going away (tab hidden, closed, or the browser quitting): send what is
    // new now, with a request that outlives the page.
    function saveBeforeLeaving() {
      clearTimeout(timer);
      var values = current();
      if (submitting || same(values, lastSent)) {
        return;
      }
      if (navigator.sendBeacon(box.getAttribute("data-autosave-url"), payload(values))) {
        lastSent = values;
      }
    }

    form.addEventListener("input", function (event) {
      if (FIELDS.indexOf(event.target.name) === -1) {
        return;
      }
      status.removeAttribute("data-autosaved");
      clearTimeout(timer);
      timer = setTimeout(save, QUIET_MS);
    });
    form.addEventListener("submit", function () {
      submitting = true;
      clearTimeout(timer);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        saveBeforeLeaving();
      }
    });
    window.addEventListener("pagehide", saveBeforeLeaving);
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && !same(current(), loaded)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    var offer = box.querySelector(".autosave-offer");
    var pending = document.getElementById("autosave-pending");
    if (offer && pending) {
      var kept = JSON.parse(pending.textContent);
      box.querySelector("[data-autosave-restore]").addEventListener("click", function () {
        FIELDS.forEach(function (name) {
          var input = field(name);
          if (input) {
            input.value = kept[name];
            // markdownx refreshes its preview on input events.
            input.dispatchEvent(new Event("input", {bubbles: true}));
          }
        });
        lastSent = kept;
        offer.remove();
        status.textContent = "Your unsaved work is back in the editor. Save the post to keep it.";
      });
      box.querySelector("[data-autosave-discard]").addEventListener("click", function () {
        var data = new FormData();
        data.append("csrfmiddlewaretoken", token ? token.value : "");
        data.append("post", box.getAttribute("data-autosave-post"));
        fetch(box.getAttribute("data-autosave-discard-url"), {
          method: "POST", body: data, credentials: "same-origin",
        }).then(function (response) {
          offer.remove();
          status.textContent = response.ok ? "The unsaved work was discarded." :
            "The unsaved work could not be discarded (error " + response.status + ").";
        });
      });
    }
    box.setAttribute("data-autosave-ready", "");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
