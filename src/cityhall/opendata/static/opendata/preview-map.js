/*
 * The open data catalogue (取組27): a map of a GeoJSON resource on its page, drawn on GSI
 * tiles with the Leaflet vendored in core. Progressive enhancement only: without this script
 * the page shows the first features as a table (which stays under the map).
 *
 * The features are fetched from the resource's own download address (same origin). Their
 * properties are shown in popups as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var MINATO = [35.6581, 139.7516];  // 港区役所

  function popup(properties) {
    var list = document.createElement("dl");
    Object.keys(properties || {}).slice(0, 12).forEach(function (key) {
      var term = document.createElement("dt");
      var value = document.createElement("dd");
      term.textContent = key;
      var item = properties[key];
      value.textContent = item === null || item === undefined ? "" :
        (typeof item === "object" ? JSON.stringify(item) : String(item));
      list.appendChild(term);
      list.appendChild(value);
    });
    return list;
  }

  function start() {
    var element = document.getElementById("opendata-map");
    if (!element || typeof L === "undefined" || !window.fetch) { return; }
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution, maxZoom: 18, minZoom: 5
    }).addTo(map);
    map.setView(MINATO, 13);
    fetch(element.dataset.geojson, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, position) {
            return L.circleMarker(position, {
              radius: 7, weight: 2, color: "#1a1a1a", fillColor: "#0031d8", fillOpacity: 0.8
            });
          },
          onEachFeature: function (feature, featureLayer) {
            featureLayer.bindPopup(popup(feature.properties));
          }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { maxZoom: 16, padding: [16, 16] }); }
      })
      .catch(function () { /* the table below still shows the data */ });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
