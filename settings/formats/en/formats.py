"""English: the 12-hour clock everywhere, "Jan. 5, 2026, 1:31 PM" on a list or a detail
page and "01:31 PM" in a time input (Django's own writes "1:31 p.m." on lists but
"13:31:00" in the inputs, which refuse "9:00 AM")."""

TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "N j, Y, g:i A"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
TIME_INPUT_FORMATS = [
    "%I:%M %p",  # 09:00 AM: the widgets and the clock's shortcuts write this one
    "%I:%M%p",  # 9:00am
    "%I %p",  # 9 AM
    "%I%p",  # 9am
    "%I:%M:%S %p",
    "%H:%M",  # 13:31, as people used to 24 hours type it
    "%H:%M:%S",
    "%H:%M:%S.%f",
]
