// minicloud dashboard: the little the pages need from a script, shipped with the project.
// 1. Live regions: an element with data-live-url is fetched again every data-live-every
//    ms and replaced by what the server renders (an instance table while something builds,
//    the topology graph, a request flow that is still growing); the server leaves the
//    attribute out when there is nothing more to follow.
// 2. Forms with data-confirm ask before they are sent (Horizon's confirmation dialogs).
(function () {
  "use strict";

  function follow(el) {
    var url = el.getAttribute("data-live-url");
    var every = parseInt(el.getAttribute("data-live-every") || "3000", 10);
    if (!url) { return; }
    window.setTimeout(function () {
      if (!document.body.contains(el)) { return; }
      fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (response) {
          if (response.redirected || !response.ok) { throw new Error("stop"); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("template");
          holder.innerHTML = html.trim();
          var fresh = holder.content.firstElementChild;
          if (!fresh || fresh.id !== el.id) { return; }
          el.replaceWith(fresh);
          follow(fresh);
        })
        .catch(function () { /* the session ended or the server is gone: stop */ });
    }, every);
  }

  function confirmations(event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(follow);
    document.addEventListener("submit", confirmations, true);
  });
}());
