"""XLSForm (ODK, KoboToolbox) import and export of template structures.

Reading goes through pyxform: its workbook reader, its header and type aliases,
its grouping of language columns, and its own XLSForm-to-XForm conversion must
succeed. Writing goes through openpyxl, and pyxform converts what is written.
Every word of a form is kept, or the row that holds it is refused with the
reason; nothing is silently simplified.
"""

from debriefing.xlsform.languages import summary
from debriefing.xlsform.reading import ImportedForm, XLSFormError, import_xlsform
from debriefing.xlsform.writing import export_xlsform

__all__ = ["ImportedForm", "XLSFormError", "export_xlsform", "import_xlsform", "summary"]
