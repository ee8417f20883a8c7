"""Keysmith's Streamlit entry point: page set-up and the mode switch live in keysmith.ui."""

from keysmith.ui.main import main
from keysmith.ui.respond_page import handled

if not handled():  # a respondent's link (?respond=...) shows their questions and nothing else
    main()
