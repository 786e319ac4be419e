/** plotly.js-dist-min ships no types; the views use newPlot, purge and Plots.resize only. */
declare module 'plotly.js-dist-min';
