"""Our date and time formats per language (FORMAT_MODULE_PATH), over Django's own: what a
list, a detail page and a form show of a time is written one way in each language, and the
time inputs take what people type ("9:00 AM" in English, "9h30" in French).

Only what differs from Django's module of the language is here; the rest is Django's.
The first input format is also the one the admin's widgets and calendar write.
"""
