"""`make bench`: the performance figures of a fresh cloud, printed as `name: value unit
(target ...)` lines. Each module measures one service against a cloud started for the run
in a temporary data directory on free ports."""
