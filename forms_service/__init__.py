"""Volunteer intake for the site: validate, store durably, email the coordinators."""
