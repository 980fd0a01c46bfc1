// The moderation queue from the keyboard: j/n and k/p move between comments, a, r and s
// approve, reject or mark the current one as spam without leaving the page, ? lists the
// keys. Each decision is announced in the page's live region. Without JavaScript the
// buttons post the form and the queue comes back with the outcome as a message.
(function () {
  "use strict";
  var form = document.querySelector(".queue-form");
  var announcer = document.getElementById("queue-announcer");
  var help = document.getElementById("queue-shortcuts");
  var hint = document.querySelector(".queue-shortcuts-hint");
  if (!announcer || !help) {
    return;
  }
  hint.hidden = false;
  var DECISIONS = { a: "approve", r: "reject", s: "spam" };
  var current = null;

  function comments() {
    return Array.prototype.slice.call(document.querySelectorAll(".queue-comment"));
  }

  function announce(text) {
    // A change of text is what screen readers announce; clear first so the same
    // sentence twice is read twice.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  function select(comment) {
    if (current) {
      current.classList.remove("is-current");
    }
    current = comment;
    if (comment) {
      comment.classList.add("is-current");
      comment.setAttribute("tabindex", "-1");
      comment.focus();
    }
  }

  function move(step) {
    var all = comments();
    if (!all.length) {
      announce("No comments left on this page.");
      return;
    }
    var index = all.indexOf(current);
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : index + step;
    if (next < 0 || next >= all.length) {
      announce(step > 0 ? "This is the last comment on this page." : "This is the first comment on this page.");
      return;
    }
    select(all[next]);
  }

  function nameOf(comment) {
    var label = comment.querySelector(".queue-comment-header label");
    return label ? label.textContent.trim() : "";
  }

  function decide(action) {
    var comment = current || comments()[0];
    if (!comment || !form) {
      announce("No comment to decide on.");
      return;
    }
    var button = comment.querySelector("button[name='decide'][value^='" + action + ":']");
    if (!button) {
      announce("That is where this comment is already: " + nameOf(comment) + ".");
      return;
    }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name='csrfmiddlewaretoken']").value);
    data.append("status", form.querySelector("[name='status']").value);
    data.append("decide", button.value);
    // getAttribute: the bulk buttons, named "action", shadow form.action.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (result) {
          return { ok: response.ok, messages: result.messages || [] };
        });
      })
      .then(function (result) {
        var all = comments();
        var index = all.indexOf(comment);
        if (result.ok) {
          comment.closest(".queue-item").remove();
          current = null;
          var rest = comments();
          select(rest[Math.min(index, rest.length - 1)] || null);
          if (!rest.length) {
            document.getElementById("queue-title").setAttribute("tabindex", "-1");
            document.getElementById("queue-title").focus();
          }
        }
        announce(result.messages.join(" ") + " " + nameOf(comment) + ".");
      })
      .catch(function () {
        announce("The decision could not be sent. Try again, or use the buttons.");
      });
  }

  function toggleHelp(show) {
    help.hidden = !show;
    if (show) {
      help.focus();
    } else if (current) {
      current.focus();
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.id !== "queue-select-all") {
      return;
    }
    var boxes = document.querySelectorAll(".queue-comment input[name='comment']");
    Array.prototype.forEach.call(boxes, function (box) {
      box.checked = event.target.checked;
    });
    announce((event.target.checked ? "Ticked " : "Unticked ") + boxes.length + " comments.");
  });
  var selectAll = document.querySelector(".queue-select-all");
  if (selectAll) {
    selectAll.hidden = false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    var target = event.target;
    var typing = "textarea, select, [contenteditable], input:not([type='checkbox']):not([type='radio'])";
    if (target.closest && target.closest(typing)) {
      return;
    }
    var key = event.key;
    if (key === "?") {
      toggleHelp(help.hidden);
    } else if (key === "Escape" && !help.hidden) {
      toggleHelp(false);
    } else if (key === "j" || key === "n") {
      move(1);
    } else if (key === "k" || key === "p") {
      move(-1);
    } else if (DECISIONS[key]) {
      decide(DECISIONS[key]);
    } else {
      return;
    }
    event.preventDefault();
  });

  document.addEventListener("focusin", function (event) {
    var comment = event.target.closest && event.target.closest(".queue-comment");
    if (comment && comment !== current) {
      if (current) {
        current.classList.remove("is-current");
      }
      current = comment;
      comment.classList.add("is-current");
    }
  });
})();
