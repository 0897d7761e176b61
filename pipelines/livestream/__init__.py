# gst-livestream pipelines: the ingest-to-DASH runner (pipelines/livestream-run).
#
# Modules:
#   ladder   the x264enc ABR ladder: rung names, parsing, encoder settings (pure)
#   options  the command line of every sub-command
#   graph    builds the GStreamer pipelines (srt-to-dash, rtp-to-dash, ...)
#   status   collects stats and element messages, formats the status line
#   runner   bus handling, signals, clean shutdown, exit codes
#   mpdfiles the files an MPD's SegmentTemplate names (pure; tests use it too)
