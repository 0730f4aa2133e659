"""Minutes (会议纪要) and notices (公示) as PDF: context, pure rendering, services and tasks."""
