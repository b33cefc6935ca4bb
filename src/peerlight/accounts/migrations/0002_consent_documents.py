"""Publish version 1 of the four consent texts, in English and Spanish.

The texts name the organisation by ``PEERLIGHT_SITE_NAME`` as it is when the
migration runs. A published version is never edited: its SHA-256 records what
people agreed to. Different wording is published as a new version.

Format of a body: blocks separated by a blank line; a block starting with
"# " is a heading, a block whose lines start with "- " is a list, any other
block is a paragraph.
"""

import hashlib

from django.conf import settings
from django.db import migrations

VERSION = 1

DOCUMENTS = {
    ("terms", "en"): (
        "Terms of use",
        """\
{site} is a peer-support community. The people you talk with here have lived through mental-health struggles themselves. They are not doctors, therapists or an emergency service.

# What this place is for

- Talking with a peer who has been there too.
- Joining circles, reading and sharing stories, and taking part in campaigns, if you want to.

# If you are in danger

If you might hurt yourself or someone else, or you are in danger right now, call your local emergency number or a crisis line. The "Need help now?" link at the top of every page lists them. A peer will try to help you reach them, but cannot come to you.

# How we treat each other

- Be kind, even when you disagree.
- Keep what others share private. Do not copy it, take screenshots of it or pass it on.
- Do not ask for, or share, anyone's real name, address or photos without their clear permission.
- No harassment, hate, threats or selling.
- Do not describe ways of harming yourself in detail. You can talk about how you feel without that.

# Your account

You choose a display name. It does not need to be your real name. Keep your password to yourself. If you think someone else has used your account, change your password and sign out everywhere.

# When things go wrong

To keep people safe, coordinators may hide a message, pause an account or close it. We will tell you why, unless telling you would put someone at risk. If you think we got it wrong, you can ask us to look again.

# When someone may be at risk

If something written here suggests that someone is in serious danger, a trained coordinator may read it so they can offer help. The privacy notice explains this.

# Leaving

You can stop using {site} at any time, and delete your account from the privacy page.

# Changes

If we change these terms in a way that matters, we will ask you to read them and agree again before you carry on.""",
    ),
    ("terms", "es"): (
        "Condiciones de uso",
        """\
{site} es una comunidad de apoyo entre pares. Las personas con quienes hablas aquí han vivido dificultades de salud mental en primera persona. No son médicos, ni terapeutas, ni un servicio de emergencias.

# Para qué es este lugar

- Hablar con alguien que también ha pasado por algo parecido.
- Unirte a círculos, leer y compartir historias y participar en campañas, si quieres.

# Si estás en peligro

Si puedes hacerte daño o hacer daño a otra persona, o estás en peligro ahora mismo, llama al número de emergencias de tu zona o a una línea de crisis. El enlace "¿Necesitas ayuda ahora?" en la parte de arriba de cada página las muestra. Un par intentará ayudarte a contactar con ellas, pero no puede ir a donde estás.

# Cómo nos tratamos

- Con amabilidad, incluso cuando no estamos de acuerdo.
- Lo que otras personas comparten es privado. No lo copies, no hagas capturas de pantalla y no lo pases a nadie.
- No pidas ni compartas el nombre real, la dirección ni las fotos de nadie sin su permiso claro.
- Nada de acoso, odio, amenazas ni ventas.
- No describas con detalle formas de hacerte daño. Puedes hablar de cómo te sientes sin eso.

# Tu cuenta

Eliges un nombre visible. No tiene que ser tu nombre real. No compartas tu contraseña. Si crees que otra persona ha usado tu cuenta, cambia la contraseña y cierra la sesión en todos tus dispositivos.

# Cuando algo sale mal

Para proteger a las personas, el equipo de coordinación puede ocultar un mensaje, pausar una cuenta o cerrarla. Te diremos por qué, salvo que decírtelo ponga a alguien en riesgo. Si crees que nos hemos equivocado, puedes pedirnos que lo revisemos.

# Cuando alguien puede estar en riesgo

Si algo escrito aquí indica que alguien corre un peligro grave, una persona coordinadora con formación puede leerlo para ofrecer ayuda. El aviso de privacidad lo explica.

# Irte

Puedes dejar de usar {site} cuando quieras y eliminar tu cuenta desde la página de privacidad.

# Cambios

Si cambiamos estas condiciones en algo importante, te pediremos que las leas y las aceptes de nuevo antes de seguir.""",
    ),
    ("privacy", "en"): (
        "Privacy notice",
        """\
This notice explains what {site} keeps about you, who can see it and what you can do about it. We keep as little as we can.

# What we keep

- Your display name, and your password stored in a form that cannot be read back.
- Your e-mail address, only if you give one. It is stored encrypted.
- Your language, and your roles here (member, peer supporter and so on).
- What you write and do here, such as messages, check-ins, stories, circles you join and actions you take in campaigns.
- Your answers on the consent pages, with the version of each text you saw.
- A security log of sensitive actions, such as who opened a record and when. It holds account numbers, never names.

# Who can see it

- The people you talk with see what you send them.
- Coordinators see what they need to keep people safe, for example a message marked as a possible risk. Each time they open something sensitive, it is written in the security log.
- Researchers never see your name, your messages or your e-mail. They only see totals for groups large enough that no one can be picked out, and only if you agreed to take part in research.
- We do not sell your information and we do not show advertising.

# Why we keep it

We keep it to give you the support you asked for and to keep people safe. Research, and using your stories in campaigns, happen only if you say yes, and you can change your mind at any time.

# When we may share it

If we believe someone's life is in danger, we may contact emergency services with the least information needed to get help to them. We also share information when the law requires it. Otherwise, it stays here.

# How long we keep it

We keep your information while you have an account. When you delete your account, it is erased at once, apart from the few things the deletion page lists, which no longer lead back to you.

# What you can do

- Download everything linked to your account, in one file, from the privacy page.
- Change your answers about research and your stories at any time.
- Delete your account. This cannot be undone.
- Ask us a question or make a complaint using this organisation's contact details. You can also complain to the data protection authority where you live.""",
    ),
    ("privacy", "es"): (
        "Aviso de privacidad",
        """\
Este aviso explica qué guarda {site} sobre ti, quién puede verlo y qué puedes hacer al respecto. Guardamos lo menos posible.

# Qué guardamos

- Tu nombre visible, y tu contraseña guardada de una forma que no se puede volver a leer.
- Tu correo electrónico, solo si nos lo das. Se guarda cifrado.
- Tu idioma y tus funciones aquí (miembro, par de apoyo, etc.).
- Lo que escribes y haces aquí, como mensajes, seguimientos, historias, círculos a los que te unes y acciones que haces en campañas.
- Tus respuestas en las páginas de consentimiento, con la versión de cada texto que viste.
- Un registro de seguridad de las acciones delicadas, como quién abrió un registro y cuándo. Contiene números de cuenta, nunca nombres.

# Quién puede verlo

- Las personas con quienes hablas ven lo que les envías.
- El equipo de coordinación ve lo que necesita para proteger a las personas, por ejemplo un mensaje marcado como posible riesgo. Cada vez que abre algo delicado, queda escrito en el registro de seguridad.
- Las personas investigadoras nunca ven tu nombre, tus mensajes ni tu correo. Solo ven totales de grupos lo bastante grandes para que nadie pueda ser identificado, y solo si aceptaste participar en investigación.
- No vendemos tu información y no mostramos publicidad.

# Por qué lo guardamos

Lo guardamos para darte el apoyo que pediste y para proteger a las personas. La investigación, y el uso de tus historias en campañas, solo ocurren si dices que sí, y puedes cambiar de opinión en cualquier momento.

# Cuándo podemos compartirlo

Si creemos que la vida de alguien corre peligro, podemos contactar con los servicios de emergencia con la mínima información necesaria para que le llegue ayuda. También compartimos información cuando la ley lo exige. Fuera de eso, se queda aquí.

# Cuánto tiempo lo guardamos

Guardamos tu información mientras tengas una cuenta. Cuando eliminas tu cuenta, se borra en ese momento, salvo lo poco que indica la página de eliminación, que ya no lleva hasta ti.

# Qué puedes hacer

- Descargar todo lo vinculado a tu cuenta, en un solo archivo, desde la página de privacidad.
- Cambiar tus respuestas sobre investigación y sobre tus historias cuando quieras.
- Eliminar tu cuenta. No se puede deshacer.
- Hacernos una pregunta o presentar una queja con los datos de contacto de esta organización. También puedes reclamar ante la autoridad de protección de datos del lugar donde vives.""",
    ),
    ("research", "en"): (
        "Taking part in research",
        """\
{site} wants to show, with evidence, what peer support changes for people. Taking part is entirely up to you. Saying no changes nothing about the support you get.

# What taking part means

If you say yes, your check-in answers can be counted in research about how people are doing over time. They are always combined with other people's answers.

# What researchers see

Researchers only see totals for groups large enough that no one can be picked out, and a small amount of random noise is added to protect each person. They never see your name, your display name, your messages or your e-mail.

# What we publish

Results may appear in reports and campaigns, always as numbers about groups, never about one person.

# Changing your mind

You can withdraw at any time on the consents page. From that moment, your answers are left out of any new research. Totals that were already published cannot be taken back, but they never pointed to you.""",
    ),
    ("research", "es"): (
        "Participar en investigación",
        """\
{site} quiere mostrar, con datos, qué cambia el apoyo entre pares en la vida de las personas. Participar depende solo de ti. Si dices que no, el apoyo que recibes no cambia en nada.

# Qué significa participar

Si dices que sí, tus respuestas en los seguimientos pueden contarse en investigaciones sobre cómo están las personas a lo largo del tiempo. Siempre se combinan con las respuestas de otras personas.

# Qué ven las personas investigadoras

Solo ven totales de grupos lo bastante grandes para que nadie pueda ser identificado, y se añade un poco de ruido aleatorio para proteger a cada persona. Nunca ven tu nombre, tu nombre visible, tus mensajes ni tu correo.

# Qué publicamos

Los resultados pueden aparecer en informes y campañas, siempre como cifras sobre grupos, nunca sobre una persona.

# Cambiar de opinión

Puedes retirar tu consentimiento en cualquier momento en la página de consentimientos. Desde ese momento, tus respuestas quedan fuera de cualquier investigación nueva. Los totales ya publicados no se pueden retirar, pero nunca llevaron hasta ti.""",
    ),
    ("story_advocacy", "en"): (
        "Using my stories in advocacy",
        """\
Stories of lived experience can change how decision makers think. {site} runs campaigns aimed at them, and would like to use stories shared here.

# What saying yes means

If you say yes, stories you publish on {site} can be quoted or shown in campaign material, such as letters to decision makers, evidence briefs and campaign pages.

# How your story is shown

Your story is shown under your display name or with no name, never under your real name unless you ask for that. We may shorten it, and we say so when we do, but we never change what it means.

# Your choice

Saying no does not change your support, or whether you can share stories with the community.

# Changing your mind

You can withdraw at any time on the consents page. From that moment, your stories are not used in any new campaign material. Material already printed or sent cannot be called back, but we stop using it wherever we can.""",
    ),
    ("story_advocacy", "es"): (
        "Uso de mis historias en campañas",
        """\
Las historias de experiencia vivida pueden cambiar cómo piensan quienes toman decisiones. {site} organiza campañas dirigidas a esas personas y quisiera usar historias compartidas aquí.

# Qué significa decir que sí

Si dices que sí, las historias que publiques en {site} pueden citarse o mostrarse en materiales de campaña, como cartas a quienes toman decisiones, informes de evidencia y páginas de campaña.

# Cómo se muestra tu historia

Tu historia se muestra con tu nombre visible o sin nombre, nunca con tu nombre real salvo que tú lo pidas. Podemos acortarla, y lo indicamos cuando lo hacemos, pero nunca cambiamos lo que significa.

# Tu decisión

Si dices que no, tu apoyo no cambia y puedes seguir compartiendo historias con la comunidad.

# Cambiar de opinión

Puedes retirar tu consentimiento en cualquier momento en la página de consentimientos. Desde ese momento, tus historias no se usan en ningún material de campaña nuevo. Lo que ya se imprimió o se envió no se puede recuperar, pero dejamos de usarlo siempre que podamos.""",
    ),
}


def publish(apps, schema_editor):
    ConsentDocument = apps.get_model("accounts", "ConsentDocument")
    site = settings.PEERLIGHT_SITE_NAME
    for (purpose, language), (title, body) in DOCUMENTS.items():
        text = body.replace("{site}", site)
        # Historical models do not run ConsentDocument.save(), which seals the body.
        ConsentDocument.objects.get_or_create(
            purpose=purpose,
            version=VERSION,
            language=language,
            defaults={
                "title": title,
                "body": text,
                "body_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "requires_reconsent": False,
            },
        )


def unpublish(apps, schema_editor):
    ConsentDocument = apps.get_model("accounts", "ConsentDocument")
    purposes = {purpose for purpose, _language in DOCUMENTS}
    ConsentDocument.objects.filter(purpose__in=purposes, version=VERSION).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(publish, unpublish),
    ]
