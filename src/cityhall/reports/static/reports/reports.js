/*
 * Street-problem reports (取組13): the maps, on GSI tiles with the Leaflet vendored in core.
 * Progressive enhancement only: without this script the report form takes a typed address,
 * the list shows every report and the report page links to the GSI map.
 *
 * - #report-pin-map (the report form): tap the map to put a pin, use the browser's position,
 *   or pin the centre of the map (for keyboard users); the pin fills the hidden latitude and
 *   longitude fields.
 * - #reports-map (the list): the reports of the list, from the GeoJSON of the same filters.
 * - #report-map (one report): its place.
 */
(function () {
  "use strict";

  var MINATO = [35.6581, 139.7516];  // 港区役所
  var OPEN = "#b3261e";
  var CLOSED = "#4d4d4d";

  function baseMap(element, options) {
    var map = L.map(element, options || { scrollWheelZoom: false });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    // The tiles are decoration if they fail to load; the page works without them.
    L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution, maxZoom: 18, minZoom: 10
    }).addTo(map);
    return map;
  }

  function say(node, text) { if (node) { node.textContent = text || ""; } }

  function pinMap() {
    var element = document.getElementById("report-pin-map");
    var form = document.getElementById("report-form");
    if (!element || !form || typeof L === "undefined") { return; }
    var latitude = form.elements.latitude;
    var longitude = form.elements.longitude;
    var status = document.getElementById("report-pin-status");
    var locate = document.getElementById("report-locate");
    var clear = document.getElementById("report-pin-clear");
    var map = baseMap(element);
    var marker = null;

    function place(lat, lon, message) {
      if (marker) {
        marker.setLatLng([lat, lon]);
      } else {
        marker = L.circleMarker([lat, lon], {
          radius: 10, weight: 3, color: "#1a1a1a", fillColor: OPEN, fillOpacity: 0.9
        }).addTo(map);
      }
      latitude.value = lat.toFixed(6);
      longitude.value = lon.toFixed(6);
      clear.hidden = false;
      say(status, message);
    }

    if (latitude.value && longitude.value &&
        !isNaN(parseFloat(latitude.value)) && !isNaN(parseFloat(longitude.value))) {
      place(parseFloat(latitude.value), parseFloat(longitude.value));
      map.setView([parseFloat(latitude.value), parseFloat(longitude.value)], 17);
    } else {
      map.setView(MINATO, 14);
    }
    map.on("click", function (event) {
      place(event.latlng.lat, event.latlng.lng, element.dataset.pinSet);
    });
    // Keyboard users move the map with the arrow keys, then press Enter on the map.
    element.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target === element) {
        var centre = map.getCenter();
        place(centre.lat, centre.lng, element.dataset.pinSet);
        event.preventDefault();
      }
    });
    clear.addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      latitude.value = "";
      longitude.value = "";
      clear.hidden = true;
      say(status, clear.dataset.cleared);
    });
    if (navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          place(position.coords.latitude, position.coords.longitude, locate.dataset.found);
          map.setView([position.coords.latitude, position.coords.longitude], 17);
        }, function () {
          say(status, locate.dataset.error);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  function popupFor(properties) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.category + " " + properties.reference;
    var state = document.createElement("p");
    state.textContent = properties.status_label + " · " + properties.reported_on;
    box.appendChild(link);
    box.appendChild(state);
    return box;
  }

  function listMap() {
    var element = document.getElementById("reports-map");
    if (!element || typeof L === "undefined" || !window.fetch) { return; }
    var map = baseMap(element);
    map.setView(MINATO, 13);
    fetch(element.dataset.geojson, { headers: { "Accept": "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            var open = feature.properties.is_open;
            return L.circleMarker(latlng, {
              radius: open ? 8 : 5, weight: 2, color: "#1a1a1a",
              fillColor: open ? OPEN : CLOSED, fillOpacity: 0.9
            });
          },
          onEachFeature: function (feature, marker) {
            marker.bindPopup(popupFor(feature.properties));
          }
        }).addTo(map);
        if (data.features.length > 1) {
          map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17 });
        } else if (data.features.length === 1) {
          map.setView(layer.getBounds().getCenter(), 17);
        }
      })
      .catch(function () { /* the list below is the fallback */ });
  }

  function detailMap() {
    var element = document.getElementById("report-map");
    if (!element || typeof L === "undefined") { return; }
    var lat = parseFloat(element.dataset.lat);
    var lon = parseFloat(element.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) { return; }
    var map = baseMap(element);
    L.circleMarker([lat, lon], {
      radius: 10, weight: 3, color: "#1a1a1a", fillColor: OPEN, fillOpacity: 0.9
    }).addTo(map);
    map.setView([lat, lon], 17);
  }

  document.addEventListener("DOMContentLoaded", function () {
    pinMap();
    listMap();
    detailMap();
  });
}());
