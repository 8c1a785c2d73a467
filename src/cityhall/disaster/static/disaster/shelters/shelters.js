/*
 * Shelter pages (取組12): the Leaflet map on GSI tiles, and "nearest to my position".
 * Progressive enhancement only: without this script the page lists every shelter and finds
 * the nearest ones from a typed address on the server.
 */
(function () {
  "use strict";

  var COLOURS = {
    available: "#1a7f37", somewhat_crowded: "#b88600", crowded: "#c2410c",
    full: "#b00020", closed: "#6b6b6b"
  };

  function readData() {
    var node = document.getElementById("shelter-data");
    if (!node) { return []; }
    try { return JSON.parse(node.textContent); } catch (error) { return []; }
  }

  function drawMap() {
    var element = document.getElementById("shelter-map");
    if (!element || typeof L === "undefined") { return; }
    var places = readData();
    var map = L.map(element, { scrollWheelZoom: false });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    // The list is the accessible alternative; the tiles are decoration if they fail to load.
    L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution, maxZoom: 18, minZoom: 5
    }).addTo(map);
    var bounds = [];
    // Open places are drawn last, so that closed ones never hide them.
    places.sort(function (a, b) { return (a.s === "closed" ? 0 : 1) - (b.s === "closed" ? 0 : 1); });
    places.forEach(function (place) {
      var marker = L.circleMarker([place.a, place.o], {
        radius: place.s === "closed" ? 5 : 9, weight: 2, color: "#1a1a1a",
        fillColor: COLOURS[place.s] || COLOURS.closed, fillOpacity: 0.9
      }).addTo(map);
      var link = document.createElement("a");
      link.href = place.u;
      link.textContent = place.n;
      marker.bindPopup(link);
      bounds.push([place.a, place.o]);
    });
    if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [16, 16] });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 16);
    } else {
      map.setView([35.6581, 139.7516], 13);  // 港区役所
    }
  }

  function enableLocate() {
    var button = document.getElementById("shelter-locate");
    var form = document.getElementById("shelter-search");
    var status = document.getElementById("shelter-locate-status");
    if (!button || !form || !navigator.geolocation) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.near.value = position.coords.latitude.toFixed(6) + "," +
          position.coords.longitude.toFixed(6);
        form.elements.address.value = "";
        form.submit();
      }, function () {
        status.textContent = button.dataset.error;
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawMap();
    enableLocate();
  });
}());
