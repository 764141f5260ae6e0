/* qr.js - placeholder, replaced below */
window.MHQR = { decode: function () { return null; } };
