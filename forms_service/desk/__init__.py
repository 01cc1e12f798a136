"""The coordinators' desk: the service's second face, for the people in FORMS_COORDINATORS.

signin.py holds sign-in links and sessions, queries.py what the desk reads and
changes, views.py its addresses, look.py and templates/ its pages.
"""
