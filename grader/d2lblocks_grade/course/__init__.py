"""Reading the course: its master notebook and assets (master), which course and assignment a command means
(locate), the class's submissions in any LMS shape (intake), and the student release (release)."""
