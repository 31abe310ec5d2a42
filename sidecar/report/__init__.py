"""Report formatting: inspection data to HTML, Markdown, JSON or PDF files under the reports root.

Importing the package is cheap; jinja2 and fpdf2 load when a report is first rendered.
"""
