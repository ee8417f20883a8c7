"""Keysmith's Streamlit entry point: page set-up and the mode switch live in keysmith.ui."""

from keysmith.ui.main import main

main()
