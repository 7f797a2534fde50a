// French locale for plotly.js (month and day names, decimal comma), registered before any chart
// is drawn; written here rather than loaded from a CDN. The figures also set layout.separators.
(function () {
  "use strict";
  if (typeof Plotly === "undefined") return;
  Plotly.register({
    moduleType: "locale",
    name: "fr",
    dictionary: {
      "Autoscale": "Échelle automatique",
      "Box Select": "Sélection rectangulaire",
      "Click to enter Colorscale title": "Cliquez pour saisir le titre de l'échelle",
      "Click to enter Plot title": "Cliquez pour saisir le titre du graphique",
      "Click to enter X axis title": "Cliquez pour saisir le titre de l'axe des X",
      "Click to enter Y axis title": "Cliquez pour saisir le titre de l'axe des Y",
      "Compare data on hover": "Comparer les données au survol",
      "Double-click to zoom back out": "Double-cliquez pour dézoomer",
      "Download plot": "Télécharger le graphique",
      "Download plot as a png": "Télécharger le graphique en PNG",
      "Lasso Select": "Sélection au lasso",
      "Pan": "Déplacer",
      "Produced with Plotly.js": "Réalisé avec Plotly.js",
      "Reset": "Réinitialiser",
      "Reset axes": "Réinitialiser les axes",
      "Reset view": "Réinitialiser la vue",
      "Show closest data on hover": "Donnée la plus proche au survol",
      "Snapshot succeeded": "Capture réussie",
      "Sorry, there was a problem downloading your snapshot!": "Désolé, le téléchargement de la capture a échoué.",
      "Taking snapshot - this may take a few seconds": "Capture en cours : cela peut prendre quelques secondes",
      "Toggle Spike Lines": "Afficher ou masquer les lignes de repère",
      "Zoom": "Zoom",
      "Zoom in": "Zoom avant",
      "Zoom out": "Zoom arrière",
      "trace": "série",
    },
    format: {
      days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
      shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      months: [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
      ],
      shortMonths: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
      ],
      date: "%d/%m/%Y",
      decimal: ",",
      thousands: "\u00a0",
    },
  });
})();
