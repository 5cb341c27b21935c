"""Composite blocks and model templates (importing only ``core`` and ``compiler``).

* :mod:`graphbuilder.zoo.catalog` reads the shipped ``templates/*.json`` files
  (``list_templates``, ``load_template``); it never imports the generators, so the
  editor opens a template without building it in Python first.
* :mod:`graphbuilder.zoo.blocks` lists the parameterised composite blocks of the palette.
* :mod:`graphbuilder.zoo.generate` (``python -m graphbuilder.zoo.generate``) rewrites the
  template files from the generator code; a test proves the files are up to date.
"""
