"""The site's own build steps, run on Markdown sources and built files whatever the engine."""
