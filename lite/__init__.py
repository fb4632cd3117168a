"""The course as a static JupyterLite site: ``lite/build.py`` (``make lite``)."""
