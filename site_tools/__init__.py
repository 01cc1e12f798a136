"""The site's own steps, run on the files an engine has built.

MkDocs hooks tie a feature to one engine's plugin API; the engines that follow MkDocs
(Zensical, MkDocs 2) run none. So what the site adds to its pages (the forms, the
email-details words, landmark names, related posts, language links, the merged
sitemap, the web editor at /admin/, Netlify's `_headers`) and the launch guard work
on `site/` after any engine has written it: `python -m site_tools finish site/`. What
they need to know of the project is read from the built pages, the Markdown front
matter and the YAML of `mkdocs.yml`, never from an engine's objects.
"""
