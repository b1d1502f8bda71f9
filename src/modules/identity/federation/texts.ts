/** Words of the federated sign-in pages that are not on the login page, in both languages. */
import type { Language } from '../../../errors/language.ts'

const texts = {
  en: {
    linkTitle: (provider: string) => `Link your ${provider} account`,
    linkRequired: (provider: string) =>
      `Your ${provider} account is not linked to an INSW account yet. To link it, sign in once with your INSW username and password: go back to the sign-in page below and sign in there. From then on, "Sign in with ${provider}" signs you in directly. Only an account of the business your ${provider} account belongs to can be linked.`,
  },
  id: {
    linkTitle: (provider: string) => `Hubungkan akun ${provider} Anda`,
    linkRequired: (provider: string) =>
      `Akun ${provider} Anda belum terhubung dengan akun INSW. Untuk menghubungkannya, masuk sekali dengan nama pengguna dan kata sandi INSW Anda: kembali ke halaman masuk di bawah dan masuk di sana. Setelah itu, "Masuk dengan ${provider}" langsung memasukkan Anda. Hanya akun milik badan usaha yang sama dengan akun ${provider} Anda yang dapat dihubungkan.`,
  },
} satisfies Record<Language, unknown>

export function federationTexts(language: Language) {
  return texts[language]
}
