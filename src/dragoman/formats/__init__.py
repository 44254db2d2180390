"""What dragoman writes for people and other programs: the text document, Markdown, JSON and the exports."""
