"""French: the 24-hour clock, as Django's module has it; a time input shows "13:31" as the
lists do (not "13:31:00") and takes "9h30" and "9 h" as French is written."""

TIME_INPUT_FORMATS = [
    "%H:%M",  # 13:31: the widgets and the clock's shortcuts write this one
    "%H:%M:%S",
    "%H:%M:%S.%f",
    "%Hh%M",  # 9h30
    "%H h %M",  # 9 h 30
    "%Hh",  # 9h
    "%H h",  # 9 h
    "%I:%M %p",  # 9:00 AM, from someone used to it
    "%I %p",
]
