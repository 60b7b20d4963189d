"""What the console's CSV downloads share.

``EXCEL_UTF8_MARK`` starts every file: Excel on Windows, where most hospital offices open
these files, reads a CSV without it in the machine's code page, and every Hindi name and
hospital turns to mojibake. Python reads it with ``encoding="utf-8-sig"``; the codes in
the header row are unchanged.
"""

EXCEL_UTF8_MARK = "\ufeff"  # U+FEFF, the byte order mark (EF BB BF in UTF-8)
