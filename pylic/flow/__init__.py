"""Build flows: named steps over one build folder (`steps`), board configs as data (`boards`), the overlay
build (`overlay`: deploy package -> HLS .xo -> platform -> DPU .xo -> v++ link -> overlays/<board>/<package>/)."""
