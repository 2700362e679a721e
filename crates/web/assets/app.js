// Jiuzhu's own script: no inline scripts anywhere (the CSP forbids them), so page
// behaviour hangs off data attributes here.
(function () {
  "use strict";

  // Confirm before anything irreversible: <form data-confirm="…">.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  }, true);

  // Print buttons on official forms.
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });

  // The phone menu.
  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-toggle]");
    if (!t) { return; }
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) {
      el.classList.toggle("is-open");
      t.classList.toggle("is-active");
      t.setAttribute("aria-expanded", el.classList.contains("is-open") ? "true" : "false");
    }
  });

  // Exit form: show only the fields of the chosen way out (data-for lists the exits).
  function syncExitFields(form) {
    var kind = form.querySelector("[name=step]").value;
    form.querySelectorAll("[data-for]").forEach(function (el) {
      el.style.display = el.getAttribute("data-for").split(" ").indexOf(kind) >= 0 ? "" : "none";
    });
  }
  document.querySelectorAll("form.exit-form").forEach(function (f) {
    syncExitFields(f);
    f.querySelector("[name=step]").addEventListener("change", function () { syncExitFields(f); });
  });

  // Charts: <div class="chart" data-chart='{"title":…,"rows":[{"name","value","href"}]}'>.
  // Every bar links to the records behind it.
  function drawCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-chart"));
      var chart = window.echarts.init(el);
      chart.setOption({
        animation: false,
        title: { text: spec.title, left: "center", textStyle: { fontSize: 14 } },
        tooltip: {},
        grid: { left: 40, right: 16, bottom: 60, top: 40 },
        xAxis: { type: "category", data: spec.rows.map(function (r) { return r.name; }), axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: spec.rows.map(function (r) { return r.value; }), itemStyle: { color: "#3e8ed0" } }]
      });
      chart.on("click", function (p) { var r = spec.rows[p.dataIndex]; if (r && r.href) { window.location = r.href; } });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  // Maps (Leaflet). <div data-map='[{lat,lng,label,kind,href}]' data-tiles="…">: markers
  // on real tiles when a tile server is configured, else on the bundled offline basemap
  // (county seats, the river, the city box), so the demo needs no network.
  var COLOURS = { urgent: "#f14668", sighting: "#ff9f43", team: "#48c78e", team_busy: "#3e8ed0",
    key: "#f14668", secondary: "#ffb70f", general: "#3e8ed0", camera: "#7a7a7a", stop: "#3e8ed0",
    done: "#b5b5b5", post: "#48c78e", station: "#f14668", here: "#485fc7" };
  var basemap = null;
  function loadBasemap() {
    if (!basemap) { basemap = fetch("/static/geo/lishui-1.json").then(function (r) { return r.json(); }); }
    return basemap;
  }
  function baseLayer(map, tiles) {
    if (tiles) {
      window.L.tileLayer(tiles, { maxZoom: 19, attribution: "" }).addTo(map);
      return Promise.resolve(null);
    }
    return loadBasemap().then(function (g) {
      window.L.rectangle(g.bounds, { color: "#b5c7d6", weight: 1, fill: false, interactive: false }).addTo(map);
      g.lines.forEach(function (ln) {
        window.L.polyline(ln.points, { color: "#9cc3e6", weight: 4, interactive: false }).addTo(map);
      });
      g.places.forEach(function (p) {
        var name = document.createElement("span");
        name.textContent = p.name;
        window.L.circleMarker([p.lat, p.lng], { radius: 3, color: "#718096", weight: 1, interactive: false })
          .bindTooltip(name, { permanent: true, direction: "right", className: "map-label" }).addTo(map);
      });
      return g;
    });
  }
  function dot(m) {
    return window.L.circleMarker([m.lat, m.lng], {
      radius: m.kind === "camera" ? 4 : 7, color: "#fff", weight: 1.5,
      fillColor: COLOURS[m.kind] || "#3e8ed0", fillOpacity: 0.95
    });
  }
  function drawMap(el) {
    if (!window.L || el._map) { return; }
    var markers = JSON.parse(el.getAttribute("data-map") || "[]");
    var map = window.L.map(el, { scrollWheelZoom: false });
    el._map = map;
    var group = [];
    markers.forEach(function (m) {
      // Labels can hold what the public typed: text, never HTML.
      var tip = document.createElement("span");
      tip.textContent = m.label;
      var d = dot(m).addTo(map).bindTooltip(tip);
      if (m.href) { d.on("click", function () { window.location = m.href; }); }
      group.push([m.lat, m.lng]);
    });
    baseLayer(map, el.getAttribute("data-tiles")).then(function (g) {
      if (group.length) { map.fitBounds(group, { padding: [30, 30], maxZoom: 15 }); }
      else if (g) { map.fitBounds([[28.38, 119.82], [28.52, 120.02]]); }
      else { map.setView([28.45, 119.92], 12); }
    });
    if (el.hasAttribute("data-pick")) { pickOn(el, map); }
  }
  // Picking a position: a click on the map fills the form's lat/lng fields.
  function pickOn(el, map) {
    var form = el.closest("form");
    var lat = form && form.querySelector("[name=lat]");
    var lng = form && form.querySelector("[name=lng]");
    if (!lat || !lng) { return; }
    var marker = null;
    function place(a, b) {
      lat.value = a.toFixed(6); lng.value = b.toFixed(6);
      if (marker) { marker.setLatLng([a, b]); } else { marker = dot({ lat: a, lng: b, kind: "here" }).addTo(map); }
    }
    if (lat.value && lng.value) { place(parseFloat(lat.value), parseFloat(lng.value)); }
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
    var locate = form.querySelector("[data-locate]");
    if (locate && navigator.geolocation) {
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          place(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 16);
        });
      });
    }
    // Choosing a hotspot puts its position in.
    var hs = form.querySelector("select[name=hotspot_id]");
    if (hs) {
      hs.addEventListener("change", function () {
        var o = hs.options[hs.selectedIndex];
        if (o && o.dataset.lat) { place(parseFloat(o.dataset.lat), parseFloat(o.dataset.lng)); map.setView([parseFloat(o.dataset.lat), parseFloat(o.dataset.lng)], 15); }
      });
    }
  }
  // The public posts map: the phone's position (asked here, never sent) finds the nearest.
  function metres(a, b) {
    var r = 6371000, p1 = a[0] * Math.PI / 180, p2 = b[0] * Math.PI / 180;
    var dp = p2 - p1, dl = (b[1] - a[1]) * Math.PI / 180;
    var h = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  function navLink(p) {
    return "https://uri.amap.com/marker?position=" + p.lng + "," + p.lat + "&name=" + encodeURIComponent(p.name);
  }
  function drawPosts(el) {
    if (!window.L || el._map) { return; }
    var posts = JSON.parse(el.getAttribute("data-posts") || "[]");
    var map = window.L.map(el, { scrollWheelZoom: false });
    el._map = map;
    var navLabel = el.getAttribute("data-nav-label");
    posts.forEach(function (p) {
      var d = dot({ lat: p.lat, lng: p.lng, kind: p.station ? "station" : "post" }).addTo(map);
      var box = document.createElement("div");
      var b = document.createElement("strong"); b.textContent = p.name; box.appendChild(b);
      var t = document.createElement("div"); t.textContent = [p.address, p.hours, p.services.join("、")].filter(Boolean).join(" · "); box.appendChild(t);
      var a = document.createElement("a"); a.href = navLink(p); a.target = "_blank"; a.rel = "noopener"; a.textContent = navLabel; box.appendChild(a);
      d.bindPopup(box);
    });
    baseLayer(map, el.getAttribute("data-tiles")).then(function () {
      if (posts.length) { map.fitBounds(posts.map(function (p) { return [p.lat, p.lng]; }), { padding: [20, 20] }); }
      else { map.setView([28.45, 119.92], 12); }
    });
    var btn = document.querySelector("[data-locate-posts]");
    var out = document.getElementById("nearest");
    if (!btn || !out) { return; }
    function nearestTo(here) {
      var best = null, station = null;
      posts.forEach(function (p) {
        var d = metres(here, [p.lat, p.lng]);
        if (p.station) { if (!station || d < station.d) { station = { p: p, d: d }; } }
        else if (!best || d < best.d) { best = { p: p, d: d }; }
      });
      out.textContent = "";
      [best, station].forEach(function (x) {
        if (!x) { return; }
        var line = document.createElement("p");
        line.textContent = x.p.name + " · " + (x.d / 1000).toFixed(1) + " km · " + x.p.address + " ";
        var a = document.createElement("a"); a.href = navLink(x.p); a.target = "_blank"; a.rel = "noopener"; a.textContent = navLabel;
        line.appendChild(a); out.appendChild(line);
      });
      out.classList.remove("is-hidden");
      dot({ lat: here[0], lng: here[1], kind: "here" }).addTo(map);
      if (best) { map.fitBounds([here, [best.p.lat, best.p.lng]], { padding: [40, 40] }); }
    }
    btn.addEventListener("click", function () {
      if (!navigator.geolocation) { return; }
      navigator.geolocation.getCurrentPosition(function (p) { nearestTo([p.coords.latitude, p.coords.longitude]); });
    });
  }
  function drawMaps(root) {
    (root || document).querySelectorAll("[data-map]").forEach(drawMap);
    (root || document).querySelectorAll("[data-posts]").forEach(drawPosts);
  }

  // Contact forms on the phone carry its position when the phone shares it.
  function fillPositions(root) {
    if (!navigator.geolocation) { return; }
    var forms = (root || document).querySelectorAll("form[data-geo]");
    if (!forms.length) { return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      forms.forEach(function (f) {
        f.querySelector("[name=lat]").value = p.coords.latitude.toFixed(6);
        f.querySelector("[name=lng]").value = p.coords.longitude.toFixed(6);
      });
    }, function () {}, { maximumAge: 60000, timeout: 10000 });
  }

  // Live pages: <div id="…" data-live="/outreach/events">. On an event the page is read
  // again and this block replaced, unless someone is typing in it.
  function live() {
    var el = document.querySelector("[data-live]");
    if (!el || !window.EventSource) { return; }
    var busy = false;
    function refresh() {
      var active = document.activeElement;
      if (busy || (active && el.contains(active) && active.matches("input, textarea, select"))) { return; }
      busy = true;
      fetch(window.location.href, { headers: { "X-Requested-With": "live" } }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(el.id);
        if (fresh) {
          el.innerHTML = fresh.innerHTML;
          el.setAttribute("data-refreshed", String(Date.now()));
          drawMaps(el);
          fillPositions(el);
        }
      }).finally(function () { busy = false; });
    }
    var src = new window.EventSource(el.getAttribute("data-live"));
    src.addEventListener("sighting", refresh);
  }

  // A file picked in <input type=file data-into="ID"> is read here into the text field ID,
  // so the form posts plain text (no upload) and the user sees what will be imported.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t.matches || !t.matches("input[type=file][data-into]") || !t.files.length) { return; }
    var into = document.getElementById(t.getAttribute("data-into"));
    var reader = new FileReader();
    reader.onload = function () { into.value = reader.result; };
    reader.readAsText(t.files[0]);
  });

  function boot() { drawCharts(); drawMaps(); fillPositions(); live(); }
  // Deferred scripts run before DOMContentLoaded, so ECharts (loaded after this file) is
  // there by then.
  if (document.readyState === "complete") { boot(); } else { document.addEventListener("DOMContentLoaded", boot); }
})();
