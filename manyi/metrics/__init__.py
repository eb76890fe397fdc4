"""Satisfaction metrics as pure functions on counts and arrays (numpy, scipy; no Django), each
documented with its formula and source and usable from a notebook.

Modules: `scores` (NPS, CSAT, CES, CSI, period-to-period changes), `kano` (Kano evaluation
table, Better/Worse, Fong's test), `servqual` (gap scores), `drivers` (key-driver analysis:
relative weights and Shapley/LMG R² decomposition, with bootstrap confidence intervals).
Also `value` (worksheet CLV, BG/NBD + Gamma-Gamma, transaction summaries), `rfm` (RFM segments).
And `control` (early-warning control charts of complaint rates: u-chart with Laney's u′
correction, EWMA, CUSUM; the false-alarm trade-off in its docstring).
"""
