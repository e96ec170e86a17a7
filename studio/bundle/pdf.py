"""brief.pdf placeholder"""
def render_brief_pdf(plan): return b"%PDF-1.4\n"
