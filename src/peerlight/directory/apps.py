from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "peerlight.directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peerlight.accounts import privacy
        from peerlight.directory import access, actions, chat_tools, referrals
        from peerlight.directory.models import InfoReport, PeerNote, Referral

        privacy.register(
            Referral,
            export=referrals.export_referrals,
            erase=privacy.ErasurePolicy.custom(
                referrals.erase_referrals,
                reason=_(
                    "The services shared with you, and your answers about them, are deleted. "
                    "Services you shared as a peer stay with the people you shared them with, "
                    "without your name."
                ),
            ),
            description=_("Services shared with you or by you in chats, and how it went"),
        )
        privacy.register(
            PeerNote,
            export=access.export_peer_notes,
            erase=privacy.ErasurePolicy.custom(
                actions.erase_peer_notes,
                reason=_(
                    "Notes you wrote about services are deleted; notes you reviewed stay "
                    "without your name."
                ),
            ),
            description=_("Notes you wrote about services in the directory"),
        )
        privacy.register(
            InfoReport,
            export=access.export_info_reports,
            erase=privacy.ErasurePolicy.keep_pseudonymised(
                _(
                    "Reports of outdated listings stay without the link to your account, so "
                    "the coordinators can still fix the listing."
                )
            ),
            description=_("Reports you made about outdated listings"),
        )
        chat_tools.register()
