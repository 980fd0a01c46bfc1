// The admin's Markdown editor (blog/widgets.py; markup in
// templates/blog/widgets/markdown_editor.html):
// - with the keyboard alone: markdownx takes Tab to indent, so Escape then Tab leaves the
//   text, and a file control uploads images, which markdownx only takes dropped or pasted;
// - every image uploaded, chosen, dropped or pasted, goes in only once the author has
//   described it in a dialog, or said it is decorative: `![description](address)`;
// - the live preview is shown with the site's own styles, out of reach of the admin's.
(function () {
  "use strict";

  // markdownx listens for keydown, drop and paste on the textarea itself. A capture
  // listener on an ancestor runs first, and stopping the event there keeps it from
  // markdownx, so the browser's own Tab (or Shift+Tab) moves the focus on, and files
  // dropped or pasted are uploaded here, where their description is asked for.
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

  function takeFilesDroppedOrPasted(editor, insertImages) {
    function take(event, transfer) {
      if (event.target !== editor || !transfer || !transfer.files || !transfer.files.length) {
        return;
      }
      event.stopPropagation();
      event.preventDefault();
      insertImages(Array.prototype.slice.call(transfer.files), editor);
    }
    editor.parentNode.addEventListener("drop", function (event) {
      take(event, event.dataTransfer);
    }, true);
    editor.parentNode.addEventListener("paste", function (event) {
      take(event, event.clipboardData);
    }, true);
  }

  // `at`: the selection [start, end] to replace; the editor's own selection otherwise.
  function insertAtCursor(editor, text, at) {
    var start = at ? at[0] : editor.selectionStart;
    var end = at ? at[1] : editor.selectionEnd;
    editor.value = editor.value.slice(0, start) + text + editor.value.slice(end);
    editor.selectionStart = editor.selectionEnd = start + text.length;
    // markdownx refreshes the preview on input events.
    editor.dispatchEvent(new Event("input", {bubbles: true}));
  }

  // Markdown for an image. Backslashes escape what would otherwise end the description or
  // be read as formatting (CommonMark lets any ASCII punctuation be escaped).
  function imageMarkdown(description, address) {
    var alt = description.replace(/\s+/g, " ").trim().replace(/[\\`*_[\]<>&]/g, "\\$&");
    var url = address.replace(/[\s()]/g, function (character) {
      return "%" + character.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
    });
    return "![" + alt + "](" + url + ")";
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

  // Resolves with the stored image's address, or null (the status says why).
  function upload(file, editor, form, status) {
    var token = form && form.querySelector("input[name='csrfmiddlewaretoken']");
    var data = new FormData();
    data.append("image", file);
    data.append("csrfmiddlewaretoken", token ? token.value : "");
    status.textContent = "Uploading " + file.name + "…";
    return fetch(editor.getAttribute("data-markdownx-upload-urls-path"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"X-Requested-With": "XMLHttpRequest"},
    }).then(function (response) {
      return response.json().catch(function () {
        return null;
      }).then(function (answer) {
        if (response.ok && answer && answer.image_url) {
          return answer.image_url;
        }
        status.textContent = errorMessage(response, answer);
        return null;
      });
    }, function () {
      status.textContent = "The image could not be uploaded: the site did not answer.";
      return null;
    });
  }

  // The dialog that asks what an image shows. ask() resolves with the description ("" for
  // a decorative image), or null when the author chose not to insert the image.
  function AltDialog(dialog) {
    var text = dialog.querySelector("[data-image-alt-text]");
    var decorative = dialog.querySelector("[data-image-alt-decorative]");
    var error = dialog.querySelector("[data-image-alt-error]");
    var preview = dialog.querySelector("[data-image-alt-preview]");
    var fileName = dialog.querySelector("[data-image-alt-file]");
    var settle = null;
    var returnFocusTo = null;

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
      if (message) {
        text.setAttribute("aria-invalid", "true");
      } else {
        text.removeAttribute("aria-invalid");
      }
    }

    function finish(answer) {
      if (!settle) {
        return;
      }
      var done = settle;
      settle = null;
      if (dialog.open) {
        dialog.close();
      }
      preview.removeAttribute("src");
      if (returnFocusTo && returnFocusTo.isConnected) {
        returnFocusTo.focus();
      }
      done(answer);
    }

    function insert() {
      if (decorative.checked) {
        finish("");
      } else if (!text.value.trim()) {
        showError("Describe the image, or tick “decorative” if a reader who cannot " +
          "see it misses nothing.");
        text.focus();
      } else {
        finish(text.value);
      }
    }

    decorative.addEventListener("change", function () {
      text.disabled = decorative.checked;
      showError("");
    });
    text.addEventListener("input", function () {
      showError("");
    });
    // Enter in the description inserts the image; it must not submit the admin's form.
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        insert();
      }
    });
    dialog.querySelector("[data-image-alt-insert]").addEventListener("click", insert);
    dialog.querySelector("[data-image-alt-cancel]").addEventListener("click", function () {
      finish(null);
    });
    // Escape closes a modal dialog by itself: the same as "Don't insert it".
    dialog.addEventListener("close", function () {
      finish(null);
    });

    this.ask = function (address, name, focusAfter) {
      return new Promise(function (resolve) {
        settle = resolve;
        returnFocusTo = focusAfter;
        text.value = "";
        text.disabled = false;
        decorative.checked = false;
        showError("");
        fileName.textContent = name;
        preview.src = address;
        dialog.showModal();
        text.focus();
      });
    };
  }

  // One image at a time per editor: upload it, ask what it shows, insert it.
  function ImageInserter(editor, dialog, status) {
    var asker = new AltDialog(dialog);
    var queue = Promise.resolve();

    function insertOne(file, focusAfter) {
      return upload(file, editor, editor.form, status).then(function (address) {
        if (!address) {
          return;
        }
        status.textContent = "Uploaded " + file.name + ". Describe it to insert it.";
        // Where the image goes: the text cannot change while the dialog is open, and
        // giving the focus back to the editor as it closes moves its cursor to the start.
        var at = [editor.selectionStart, editor.selectionEnd];
        return asker.ask(address, file.name, focusAfter).then(function (description) {
          if (description === null) {
            status.textContent = file.name + " was not inserted.";
            return;
          }
          insertAtCursor(editor, imageMarkdown(description, address), at);
          status.textContent = description ?
            "Inserted " + file.name + " into the text, described as “" + description.trim() + "”." :
            "Inserted " + file.name + " into the text as a decorative image, with no description.";
        });
      });
    }

    // `focusAfter`: where the focus goes back once the image is in (or not).
    this.insert = function (files, focusAfter) {
      files.forEach(function (file) {
        queue = queue.then(function () {
          return insertOne(file, focusAfter);
        });
      });
      return queue;
    };
  }

  // The preview pane holds the post in a shadow root with the site's stylesheets, where the
  // admin's styles do not apply: it looks as the published post will. markdownx keeps
  // writing the rendered HTML into the pane itself; each update is moved into the shadow
  // root, so it is shown (and found by assistive technology) once, styled by the site.
  function styleThePreview(editor, stylesheets) {
    var parent = editor.parentNode;
    var pane = parent.querySelector(".markdownx-preview");
    if (!pane || !pane.attachShadow || pane.shadowRoot) {
      return;
    }
    var root = pane.attachShadow({mode: "open"});
    stylesheets.forEach(function (address) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = address;
      root.appendChild(link);
    });
    var article = document.createElement("article");
    article.className = "post";
    var body = document.createElement("div");
    body.className = "post-body";
    article.appendChild(body);
    root.appendChild(article);

    function show() {
      body.replaceChildren.apply(body, Array.prototype.slice.call(pane.childNodes));
    }
    if (pane.childNodes.length) {
      show();
    }
    // markdownx announces each new preview on the editor's parent, after writing it.
    parent.addEventListener("markdownx.update", show);
  }

  function setUp() {
    var controls = document.querySelectorAll("input[data-editor-image-for]");
    Array.prototype.forEach.call(controls, function (control) {
      var editor = document.getElementById(control.getAttribute("data-editor-image-for"));
      var status = document.getElementById(control.getAttribute("aria-describedby"));
      var dialog = document.getElementById(control.getAttribute("data-image-alt-dialog"));
      if (!editor || !status || !dialog) {
        return;
      }
      var box = control.closest(".markdown-editor");
      var stylesheets = (box.getAttribute("data-preview-styles") || "").split(" ").filter(Boolean);
      styleThePreview(editor, stylesheets);
      letTabLeaveAfterEscape(editor);
      var images = new ImageInserter(editor, dialog, status);
      takeFilesDroppedOrPasted(editor, function (files) {
        images.insert(files, editor);
      });
      control.addEventListener("change", function () {
        var files = Array.prototype.slice.call(control.files);
        if (!files.length) {
          return;
        }
        // Choosing the same file again must upload it again.
        control.value = "";
        images.insert(files, control);
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
