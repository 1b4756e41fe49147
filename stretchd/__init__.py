"""stretchd: psoas-stretch reminders, logging and adherence for low-back and hip pain."""

__version__ = "0.1.0"
