// Each paper card's upload: a phone photo is shrunk here before it is sent (long side at
// most 2400 px, JPEG about 85 %), so a 17 MB photo goes up as about 1 MB in seconds on 4G;
// then anything still over the server's cap is stopped before a byte of it is sent.
// Without JS (or where the browser cannot decode the photo, e.g. HEIC) the file goes as it
// is and the server answers: converts HEIC/WebP, refuses what is over its cap.
(function () {
  var MAX_SIDE = 2400, QUALITY = 0.85, SHRINKABLE = /^image\/(jpeg|png|webp)$/;

  function shrink(file) {
    if (!SHRINKABLE.test(file.type) || !window.createImageBitmap || !window.DataTransfer) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 1.5 * 1024 * 1024) return file; // small already
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a PNG's transparency becomes white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg" }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; }); // not decodable here: the server decides
  }

  document.querySelectorAll("form[data-max-bytes]").forEach(function (form) {
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    var input = form.querySelector('input[type="file"]');
    var note = form.querySelector("[data-size-error]");
    var working = form.querySelector("[data-shrink-note]");
    var button = form.querySelector('button[type="submit"]');
    if (!input || !note || !max) return;
    var busy = false;
    function fits() {
      var file = input.files && input.files[0];
      var tooLarge = !!file && file.size > max;
      note.hidden = !tooLarge;
      if (button) button.disabled = tooLarge || busy;
      return !tooLarge;
    }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return fits();
      busy = true;
      if (working) working.hidden = false;
      fits();
      shrink(file).then(function (result) {
        if (result !== file) {
          var dt = new DataTransfer();
          dt.items.add(result);
          input.files = dt.files;
        }
        busy = false;
        if (working) working.hidden = true;
        fits();
      });
    });
    form.addEventListener("submit", function (event) {
      if (busy || !fits()) event.preventDefault();
    });
  });
})();
