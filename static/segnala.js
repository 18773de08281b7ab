// SATIS public report form: an optional proof-of-work stamp (progressive enhancement).
// While the reporter types, the browser looks for a number n such that
// SHA-256("satis-pow-v1:" + submission id + ":" + n) starts with the asked-for zero bits, and
// puts it in the hidden "pow" field. With it, a report is not slowed down by what others
// sent from the same address. Without JavaScript (or without Web Crypto) the form is sent as
// it is and works the same. Nothing leaves the page but the form itself.
(function () {
  'use strict';
  var form = document.querySelector('form[data-pow-bits]');
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder || !window.Promise) {
    return;
  }
  var bits = parseInt(form.getAttribute('data-pow-bits'), 10);
  var field = form.querySelector('input[name="pow"]');
  var idField = form.querySelector('input[name="submission"]');
  if (!field || !idField || !(bits > 0 && bits < 32)) {
    return;
  }
  var prefix = 'satis-pow-v1:' + idField.value + ':';
  var encoder = new TextEncoder();

  function zeroBits(buffer) {
    var bytes = new Uint8Array(buffer);
    var n = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { n += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { n++; b <<= 1; }
      break;
    }
    return n;
  }

  // Tries numbers in batches, yielding between them so that typing stays smooth.
  function search(start) {
    var tries = [];
    for (var n = start; n < start + 256; n++) {
      tries.push(window.crypto.subtle.digest('SHA-256', encoder.encode(prefix + n)));
    }
    return Promise.all(tries).then(function (digests) {
      for (var i = 0; i < digests.length; i++) {
        if (zeroBits(digests[i]) >= bits) { return String(start + i); }
      }
      if (start > 50000000) { return ''; }
      return new Promise(function (resolve) { setTimeout(resolve, 0); })
        .then(function () { return search(start + 256); });
    });
  }

  var done = false;
  var sending = false;
  var work = search(0).then(function (n) { field.value = n; done = true; }, function () { done = true; });
  form.addEventListener('submit', function (event) {
    if (done || sending) { return; }
    event.preventDefault();
    sending = true;
    work.then(function () {
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  });
})();
