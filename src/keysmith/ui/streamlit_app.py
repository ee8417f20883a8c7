"""The Streamlit script `keysmith app` runs (the checkout's app.py is the same two lines).

It ships inside the package so that an installed wheel can serve the app from any directory.
"""

from keysmith.ui.main import main
from keysmith.ui.respond_page import handled

if not handled():  # a respondent's link (?respond=...) shows their questions and nothing else
    main()
