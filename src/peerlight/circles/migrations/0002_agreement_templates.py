"""Two group agreement templates to start from: one in English, one in Spanish.

Each is offered first for circles in its language. Coordinators change them
or add others on the agreement templates page; a circle keeps its own copy.
Going back removes only these two, found by name and language.
"""

from django.db import migrations

TEMPLATES = (
    (
        "Our group agreement",
        "en",
        """\
What is said here stays here. What is learned here may leave here.
One voice at a time. Everyone who wants to speak gets a turn; you may always pass.
Speak from your own experience ("I"), not for others, and give no advice unless someone asks for it.
Be kind. We do not judge, diagnose or fix each other.
Do not share names, contact details or photos of anyone, including yourself, in the group.
No detailed talk of ways to hurt yourself; you can talk about how you feel without that.
If you are in danger, tell a facilitator. They will help you reach crisis support.
You may leave at any time. If you can, let a facilitator know you are all right.
Facilitators may pause a conversation or ask someone to leave to keep the group safe.""",
    ),
    (
        "Nuestro acuerdo de grupo",
        "es",
        """\
Lo que se dice aquí, se queda aquí. Lo que se aprende aquí puede salir de aquí.
Habla una persona a la vez. Todas las personas que quieran hablar tendrán su turno; siempre puedes pasar.
Habla desde tu propia experiencia ("yo"), no por otras personas, y no des consejos a menos que te los pidan.
Sé amable. No juzgamos, no diagnosticamos ni intentamos arreglar a nadie.
No compartas nombres, datos de contacto ni fotos de nadie, tampoco tuyos, en el grupo.
No hablamos en detalle de formas de hacerse daño; puedes hablar de cómo te sientes sin eso.
Si estás en peligro, díselo a una persona facilitadora. Te ayudará a buscar apoyo en crisis.
Puedes salir en cualquier momento. Si puedes, avisa a una persona facilitadora de que estás bien.
Las personas facilitadoras pueden pausar una conversación o pedir a alguien que salga para cuidar al grupo.""",
    ),
)


def add_templates(apps, schema_editor):
    AgreementTemplate = apps.get_model("circles", "AgreementTemplate")
    for name, language, text in TEMPLATES:
        if not AgreementTemplate.objects.filter(name=name, language=language).exists():
            AgreementTemplate.objects.create(
                name=name, language=language, text=text, is_default=True
            )


def remove_templates(apps, schema_editor):
    AgreementTemplate = apps.get_model("circles", "AgreementTemplate")
    for name, language, _text in TEMPLATES:
        AgreementTemplate.objects.filter(name=name, language=language).delete()


class Migration(migrations.Migration):
    dependencies = [("circles", "0001_initial")]

    operations = [migrations.RunPython(add_templates, remove_templates)]
