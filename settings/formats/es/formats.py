"""Spanish: the 24-hour clock, as Django's module has it; a time input shows "13:31" as the
lists do (not "13:31:00")."""

TIME_INPUT_FORMATS = [
    "%H:%M",  # 13:31: the widgets and the clock's shortcuts write this one
    "%H:%M:%S",
    "%H:%M:%S.%f",
    "%H.%M",  # 13.31
    "%Hh%M",  # 9h30
    "%I:%M %p",  # 9:00 AM
    "%I %p",
]
