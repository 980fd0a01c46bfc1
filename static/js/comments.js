// Replies in place: a comment's "Reply" link moves the comment form under that comment
// and focuses it. Without JavaScript the link opens a page with the form for the reply.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  var home = document.getElementById("comment-form-home");
  if (!form || !home) {
    return;
  }
  var parentInput = form.querySelector("input[name='parent']");
  var title = document.getElementById("comment-form-title");
  var cancel = form.querySelector(".comment-cancel-reply");
  var defaultTitle = title.getAttribute("data-default-title");
  var activeLink = null;

  function focusFirstEmptyField() {
    var name = form.querySelector("input[name='name']");
    var email = form.querySelector("input[name='email']");
    var body = form.querySelector("textarea[name='body']");
    var field = name && !name.value ? name : email && !email.value ? email : body;
    if (field) {
      field.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".comment-reply-link");
    if (!link) {
      return;
    }
    var item = document.getElementById("comment-" + link.getAttribute("data-comment-id"));
    var article = item && item.querySelector(".comment-article");
    if (!article) {
      return;
    }
    event.preventDefault();
    article.insertAdjacentElement("afterend", form);
    parentInput.value = link.getAttribute("data-comment-id");
    title.textContent = "Reply to " + link.getAttribute("data-author-name");
    cancel.hidden = false;
    activeLink = link;
    focusFirstEmptyField();
  });

  cancel.addEventListener("click", function () {
    home.appendChild(form);
    parentInput.value = "";
    title.textContent = defaultTitle;
    cancel.hidden = true;
    if (activeLink) {
      activeLink.focus();
    }
    activeLink = null;
  });
})();
