/** Words on the login pages, in Indonesian and English. */
import type { Language } from '../../../errors/language.ts'

const texts = {
  en: {
    signIn: 'Sign in to INSW',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    forgot: 'Forgot password?',
    otherOptions: 'Other options',
    withOss: 'Sign in with an OSS account',
    withKemendag: 'Sign in with SSO Kemendag (INATRADE)',
    cancel: 'Cancel',
    wrongPassword:
      'The username or password is wrong. After several failed attempts, sign-in from this device pauses for a few minutes (longer each time): wait, or use "Forgot password?".',
    inactive: 'This account is not active yet. Verify your email and set a password first, or contact your administrator.',
    tooMany: 'Too many attempts from here. Wait a minute and try again.',
    expired: 'This sign-in request has expired. Go back to the application and start again.',
    badForm: 'This form was not sent the way the page sends it. Go back to the page and submit it again.',
    forgotTitle: 'Forgot password',
    forgotIntro: 'Enter your email and username. If they belong to an account, we will email you a link to set a new password.',
    email: 'Email',
    sendLink: 'Send reset link',
    forgotSent: 'If the email and username belong to an account, a reset link is on its way. It is valid for 30 minutes.',
    resetTitle: 'Set a new password',
    resetIntro: 'At least 8 characters, with a digit, an upper-case letter, a lower-case letter and a punctuation character.',
    newPassword: 'New password',
    confirmPassword: 'Repeat the new password',
    save: 'Save password',
    mismatch: 'The two passwords differ.',
    resetDone: 'Your password is set. You can now sign in.',
    badLink: 'This link is invalid, expired or already used. Ask for a new one.',
    federatedUnknown: (provider: string) =>
      `Your ${provider} account is not linked to an INSW account yet. Register your organisation for INSW access first; once approved, signing in with ${provider} works.`,
    federatedFailed: (provider: string) => `Signing in with ${provider} did not work. Try again or use your INSW username.`,
    backToLogin: 'Back to sign-in',
  },
  id: {
    signIn: 'Masuk ke INSW',
    username: 'Nama pengguna',
    password: 'Kata sandi',
    submit: 'Masuk',
    forgot: 'Lupa kata sandi?',
    otherOptions: 'Opsi lain',
    withOss: 'Masuk dengan akun OSS',
    withKemendag: 'Masuk dengan SSO Kemendag (INATRADE)',
    cancel: 'Batal',
    wrongPassword:
      'Nama pengguna atau kata sandi salah. Setelah beberapa kali gagal, masuk dari perangkat ini dijeda beberapa menit (makin lama setiap kali): tunggu, atau gunakan "Lupa kata sandi?".',
    inactive: 'Akun ini belum aktif. Verifikasi email dan atur kata sandi terlebih dahulu, atau hubungi administrator Anda.',
    tooMany: 'Terlalu banyak percobaan dari perangkat ini. Tunggu satu menit lalu coba lagi.',
    expired: 'Permintaan masuk ini sudah kedaluwarsa. Kembali ke aplikasi dan mulai lagi.',
    badForm: 'Formulir ini tidak dikirim seperti yang dilakukan halaman. Kembali ke halaman dan kirim lagi.',
    forgotTitle: 'Lupa kata sandi',
    forgotIntro: 'Masukkan email dan nama pengguna Anda. Jika cocok dengan sebuah akun, kami kirimkan tautan untuk mengatur kata sandi baru.',
    email: 'Email',
    sendLink: 'Kirim tautan',
    forgotSent: 'Jika email dan nama pengguna cocok dengan sebuah akun, tautan sedang dikirim. Tautan berlaku 30 menit.',
    resetTitle: 'Atur kata sandi baru',
    resetIntro: 'Minimal 8 karakter, mengandung angka, huruf besar, huruf kecil, dan tanda baca.',
    newPassword: 'Kata sandi baru',
    confirmPassword: 'Ulangi kata sandi baru',
    save: 'Simpan kata sandi',
    mismatch: 'Kedua kata sandi berbeda.',
    resetDone: 'Kata sandi Anda sudah diatur. Silakan masuk.',
    badLink: 'Tautan ini tidak valid, kedaluwarsa, atau sudah dipakai. Minta tautan baru.',
    federatedUnknown: (provider: string) =>
      `Akun ${provider} Anda belum terhubung dengan akun INSW. Daftarkan organisasi Anda untuk akses INSW terlebih dahulu; setelah disetujui, masuk dengan ${provider} dapat digunakan.`,
    federatedFailed: (provider: string) => `Masuk dengan ${provider} gagal. Coba lagi atau gunakan nama pengguna INSW.`,
    backToLogin: 'Kembali ke halaman masuk',
  },
} satisfies Record<Language, unknown>

export type Texts = (typeof texts)['en']

export function textsFor(language: Language): Texts {
  return texts[language]
}
