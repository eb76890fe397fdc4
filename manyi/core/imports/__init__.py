"""Importing customers and cases from CSV and XLSX files (`manyi import`)."""

from manyi.core.imports.base import ImportResult, RowError, error_report_path, write_error_report
from manyi.core.imports.cases import import_cases
from manyi.core.imports.columns import CASE_COLUMNS, CUSTOMER_COLUMNS, columns_help
from manyi.core.imports.customers import import_customers
from manyi.core.imports.readers import ImportFileError, read_table

__all__ = [
    "CASE_COLUMNS",
    "CUSTOMER_COLUMNS",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "columns_help",
    "error_report_path",
    "import_cases",
    "import_customers",
    "read_table",
    "write_error_report",
]
