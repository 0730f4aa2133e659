"""Minutes (会议纪要) and notices (公示) as PDF.

``context`` (what the minutes print) and ``notices`` (what a notice shows, and issuing it) feed
``pdf`` (each document's HTML, rendered by the pure ``render`` and kept by ``storage``), which
the background ``tasks`` run; ``services`` asks for the minutes, ``selectors`` reads them back.
"""
