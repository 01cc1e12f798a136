"""The coordinators' desk: the service's second face, for the people in FORMS_COORDINATORS.

signin.py holds sign-in links and sessions, queries.py what the desk reads and
changes; shared.py the Desk object and the signed_in gate every handler passes,
account.py, listing.py and submission.py the handlers by concern, views.py the
table of its addresses; look.py and templates/ its pages.
"""
