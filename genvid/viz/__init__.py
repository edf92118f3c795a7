"""Looking at videos: side-by-side and split-screen comparisons, zoomed labelled crops."""
