// The admin's Markdown editor with the keyboard alone (blog/widgets.py renders the markup).
// markdownx takes Tab to indent and uploads images only when dropped or pasted; here
// Escape then Tab leaves the text, and a file control uploads to markdownx's own URL.
(function () {
  "use strict";

  // markdownx listens for keydown on the textarea itself. A capture listener on an
  // ancestor runs first, and stopping the event there keeps it from markdownx, so the
  // browser's own Tab (or Shift+Tab) moves the focus on.
  function letTabLeaveAfterEscape(editor) {
    var leaving = false;
    editor.parentNode.addEventListener("keydown", function (event) {
      if (event.target !== editor) {
        return;
      }
      if (event.key === "Escape") {
        leaving = true;
      } else if (event.key === "Tab" && leaving) {
        event.stopPropagation();
        leaving = false;
      } else if (event.key !== "Shift") {
        leaving = false;
      }
    }, true);
    editor.addEventListener("blur", function () {
      leaving = false;
    });
  }

  function insertAtCursor(editor, text) {
    var start = editor.selectionStart;
    editor.value = editor.value.slice(0, start) + text + editor.value.slice(editor.selectionEnd);
    editor.selectionStart = editor.selectionEnd = start + text.length;
    // markdownx refreshes the preview on input events.
    editor.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function errorMessage(response, answer) {
    if (answer && answer.image && answer.image.length) {
      return answer.image.join(" ");
    }
    if (response.status === 413) {
      return "The image is too large to upload.";
    }
    if (response.status === 429) {
      return "Too many uploads in a short time. Wait a few minutes and try again.";
    }
    return "The image could not be uploaded (error " + response.status + ").";
  }

  function upload(control, editor, status) {
    var file = control.files[0];
    if (!file) {
      return;
    }
    var token = control.form && control.form.querySelector("input[name='csrfmiddlewaretoken']");
    var data = new FormData();
    data.append("image", file);
    data.append("csrfmiddlewaretoken", token ? token.value : "");
    status.textContent = "Uploading " + file.name + "…";
    fetch(editor.getAttribute("data-markdownx-upload-urls-path"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"X-Requested-With": "XMLHttpRequest"},
    }).then(function (response) {
      return response.json().catch(function () {
        return null;
      }).then(function (answer) {
        if (response.ok && answer && answer.image_code) {
          insertAtCursor(editor, answer.image_code);
          status.textContent = "Inserted " + file.name + " into the text. " +
            "Describe the image between its square brackets.";
        } else {
          status.textContent = errorMessage(response, answer);
        }
      });
    }, function () {
      status.textContent = "The image could not be uploaded: the site did not answer.";
    }).then(function () {
      // Choosing the same file again must upload it again.
      control.value = "";
    });
  }

  function setUp() {
    var controls = document.querySelectorAll("input[data-editor-image-for]");
    Array.prototype.forEach.call(controls, function (control) {
      var editor = document.getElementById(control.getAttribute("data-editor-image-for"));
      var status = document.getElementById(control.getAttribute("aria-describedby"));
      if (!editor || !status) {
        return;
      }
      letTabLeaveAfterEscape(editor);
      control.addEventListener("change", function () {
        upload(control, editor, status);
      });
      // Tests (and anything else that drives the editor) wait for this before typing.
      control.setAttribute("data-editor-ready", "");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
