"""Exercise checks, one module per chapter (chNN.py); `mlcourse.exercises.check` imports them on demand."""
