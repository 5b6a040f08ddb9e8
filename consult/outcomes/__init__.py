"""What the legislature did with each submitted suggestion (采纳 / 部分采纳 / 未采纳 / 待研究)."""
